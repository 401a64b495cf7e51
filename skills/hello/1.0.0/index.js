// hello: greets by name. No capabilities: it runs without a permit.
const name = typeof args.name === 'string' ? args.name : 'world'
console.log(`Hello, ${name}!`)
return { greeting: `Hello, ${name}!` }
