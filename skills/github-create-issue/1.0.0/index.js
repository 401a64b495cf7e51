// github-create-issue: the Quick Start capability as a skill. Files an issue with the owner's
// GitHub token and returns the number and link.
const issue = await createIssue(args.owner, args.repo, args.title, args.body ?? '')
console.log(`created #${issue.number}`)
return { number: issue.number, url: issue.html_url, title: issue.title }
