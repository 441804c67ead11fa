/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';

export interface PageProps {
  title: string;
  /** Stylesheet and module script URLs (same origin: the CSP allows nothing else). */
  stylesheet: string;
  script: string;
  /** What the top bar says after the brand. */
  section: string;
  children?: Child;
  topbarExtra?: Child;
}

/** The page shell shared by the admin console and the demo: no inline script or style. */
export function Page(props: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta name="color-scheme" content="light" />
        <title>{props.title}</title>
        <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
        <link rel="stylesheet" href={props.stylesheet} />
        <script type="module" src={props.script} />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <span class="brand">
            <span class="brand-mark" aria-hidden="true" />
            Portico
          </span>
          <span class="topbar-section">{props.section}</span>
          <span class="spacer" />
          {props.topbarExtra}
        </header>
        {props.children}
      </body>
    </html>
  );
}

/** Renders a page element to a complete HTML document. */
export async function renderPage(element: ReturnType<typeof Page>): Promise<string> {
  return `<!doctype html>${await element.toString()}`;
}
