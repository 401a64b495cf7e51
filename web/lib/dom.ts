/** Small DOM helpers: elements are built with text, never with markup strings. */
export function $(selector: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(selector)
  if (!element) throw new Error(`missing ${selector}`)
  return element
}

type Child = Node | string | null | undefined | false

export function el(
  tag: string,
  attributes: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElement {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    element.setAttribute(name, value === true ? '' : value)
  }
  for (const child of children) if (child) element.append(child)
  return element
}

export function setText(element: HTMLElement, text: string): void {
  element.textContent = text
}

export function when(timestamp: number): string {
  return new Date(timestamp).toLocaleString()
}
