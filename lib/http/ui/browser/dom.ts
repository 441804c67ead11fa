/**
 * What the admin console and the demo page build their DOM with: elements and text nodes only,
 * never HTML strings (both pages enforce Trusted Types with `trusted-types 'none'`).
 */

/** An attribute value, or an `on…` listener; `null`, `undefined` and `false` leave it out. */
export type PropValue = string | number | boolean | null | undefined | ((event: Event) => void);
export type Props = Record<string, PropValue>;
/** What `el` appends: nodes, text, nested lists; `null`, `undefined` and `false` are skipped. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** The element with this id; the pages' markup holds every id the scripts ask for. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

/**
 * Creates a `tag` element: `class` sets the class name, `text` the text content, `on<event>` adds a
 * listener, anything else is an attribute (`true` as an empty one); children are appended in order.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') {
      if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    } else if (key === 'class') node.className = String(value);
    else if (key === 'text') node.textContent = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node: Node & ParentNode, child: Child): void {
  if (child === undefined || child === null || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child as readonly Child[]) append(node, c);
  } else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
}

/** A table labelled by a heading, in a box that scrolls sideways on narrow screens. */
export function scrollingTable(
  id: string,
  labelledBy: string,
  headings: readonly string[],
  rows: readonly (readonly HTMLTableCellElement[])[],
): HTMLDivElement {
  return el(
    'div',
    { class: 'table-scroll' },
    el(
      'table',
      { id, 'aria-labelledby': labelledBy },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          headings.map((h) => el('th', { scope: 'col', text: h })),
        ),
      ),
      el(
        'tbody',
        {},
        rows.map((cells) => el('tr', {}, cells)),
      ),
    ),
  );
}

/** An ISO time in the reader's locale and time zone; `—` when there is none. */
export function when(iso: string | null | undefined, timeStyle: 'medium' | 'short'): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle });
}

/** A problem answer (RFC 9457) from a backend, with its HTTP status and stable `code`. */
export interface Problem {
  detail?: string;
  code?: string;
}

/** An HTTP answer that was not a success; `message` is the problem's `detail` when it has one. */
export class ProblemError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, problem: Problem | null, who: string) {
    super(problem?.detail || `${who} answered HTTP ${status}.`);
    this.status = status;
    this.code = problem?.code;
  }
}

/**
 * Reads a JSON answer: `null` for 204, the parsed body for a success, else throws a
 * {@link ProblemError} (`who` names the backend in its fallback message).
 */
export async function readAnswer<T>(res: Response, who: string): Promise<T> {
  if (res.status === 204) return null as T;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ProblemError(res.status, data as Problem | null, who);
  return data as T;
}
