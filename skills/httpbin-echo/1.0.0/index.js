// httpbin-echo: sends the caller's message to httpbin.org/anything with the owner's token in the
// Authorization header, and returns what httpbin echoed. The echo includes that header: the agent
// sees it redacted, which is the point of the demo.
const echo = await anything(args.message, args.tag ?? 'oauth3')
console.log(`httpbin echoed ${echo.method} ${echo.url}`)
return { json: echo.json, args: echo.args, headers: { Authorization: echo.headers.Authorization, 'User-Agent': echo.headers['User-Agent'] } }
