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

/** A moment in the viewer's own time zone and words, the one way every page shows time. */
export function when(timestamp: number): string {
  return new Date(timestamp).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'short',
  })
}

/** Server-rendered `<time datetime>` elements (written in UTC) shown in the viewer's time. */
export function localizeTimes(root: ParentNode = document): void {
  for (const time of root.querySelectorAll<HTMLTimeElement>('time[datetime]')) {
    const at = Date.parse(time.dateTime)
    if (!Number.isNaN(at)) time.textContent = when(at)
  }
}
