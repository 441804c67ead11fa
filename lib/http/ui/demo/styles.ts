import { baseCss } from '../styles.js';

/** The demo page's own rules (kept out of the deployed bundle: the demo is local only). */
const demo = `
.hero { display: flex; gap: 24px; align-items: flex-end; justify-content: space-between; flex-wrap: wrap; margin-bottom: 8px; }
.hero .who { min-width: 240px; max-width: 320px; flex: 1; }
.eyebrow { font-size: 13px; font-weight: 600; color: var(--accent); text-transform: uppercase; letter-spacing: .06em; margin: 0 0 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 16px; margin-bottom: 20px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 18px 20px;
  display: flex; flex-direction: column; gap: 12px; box-shadow: 0 1px 2px rgba(16, 24, 40, .04); }
.card-head { display: flex; align-items: center; gap: 12px; }
.card-head h2 { margin: 0; font-size: 17px; }
.card-head p { margin: 0; color: var(--muted); font-size: 13px; }
.logo { flex: none; width: 40px; height: 40px; border-radius: 10px; display: grid; place-items: center;
  color: #fff; font-weight: 800; font-size: 18px; }
.logo.hubspot { background: #ff7a59; }
.logo.dropbox { background: #0061fe; }
.status-line { font-size: 14px; color: var(--muted); min-height: 22px; }
.status-line strong { color: var(--ink); }
.card .actions { margin-top: auto; }
.data-grid { display: grid; grid-template-columns: minmax(0, 1fr); gap: 20px; }
.picker { display: flex; flex-wrap: wrap; gap: 8px; margin: 0 0 14px; padding: 0; list-style: none; }
.picker button { background: #fff; color: var(--ink); border: 1px solid var(--field); font-weight: 500; }
.picker button[aria-pressed=true] { background: var(--accent-soft); border-color: var(--accent); color: var(--accent); font-weight: 600; }
.picker .count { color: var(--muted); font-weight: 400; font-size: 13px; }
.crumbs { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; margin: 0 0 12px; padding: 0; list-style: none; font-size: 14px; }
.crumbs li + li::before { content: "/"; color: var(--muted); margin-right: 4px; }
.files { list-style: none; margin: 0 0 12px; padding: 0; border: 1px solid var(--line); border-radius: 10px; }
.files li { display: flex; gap: 10px; align-items: center; padding: 9px 12px; border-bottom: 1px solid var(--line); font-size: 14px; }
.files li:last-child { border-bottom: 0; }
.files .icon { flex: none; position: relative; width: 18px; height: 18px; }
.files .icon.folder { height: 13px; margin-top: 3px; background: #7aa2f7; border-radius: 1px 3px 3px 3px; }
.files .icon.folder::before { content: ""; position: absolute; left: 0; top: -3px; width: 8px; height: 4px;
  background: #7aa2f7; border-radius: 2px 2px 0 0; }
.files .icon.file { width: 14px; margin: 0 2px; border: 1.5px solid #98a2b3; border-radius: 2px 5px 2px 2px; background: #fff; }
.files .icon.avro { border-color: var(--accent); background: var(--accent-soft); }
.files .name { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.files .meta { color: var(--muted); font-size: 13px; white-space: nowrap; }
.schema { display: flex; flex-wrap: wrap; gap: 6px; margin: 0 0 12px; padding: 0; list-style: none; }
.schema li { font-size: 13px; background: #f1f3f6; border-radius: 6px; padding: 2px 8px; }
.schema li span { color: var(--muted); }
.cell { max-width: 280px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.loading { color: var(--muted); }
footer.demo-foot { color: var(--muted); font-size: 13px; margin-top: 28px; }
footer.demo-foot code { white-space: nowrap; }
.data-grid h3 { text-transform: none; letter-spacing: 0; color: var(--ink); font-size: 15px; }
@media (max-width: 640px) {
  .hero .who { max-width: none; }
  .files .meta, .wide-only { display: none; }
}
`;

export const demoCss = baseCss + demo;
