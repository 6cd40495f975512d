// The site's one style sheet: readable on a desktop and on a phone (390 px: tables and code scroll in
// their own box, never the page), highlighted code, the side-by-side pairs of an article's code and
// the fix.
export const STYLE = `
:root { --ink: #1f2933; --muted: #52606d; --line: #e4e7eb; --accent: #3b6ea5; --code: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); font: 16px/1.6 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif; }
header { padding: 10px 24px; border-bottom: 1px solid var(--line); background: #f8fafc; font-size: 14px; display: flex; justify-content: space-between; }
header a { color: var(--accent); text-decoration: none; font-weight: 600; }
main { max-width: 980px; margin: 0 auto; padding: 8px 24px 40px; }
footer { max-width: 980px; margin: 0 auto; padding: 16px 24px 32px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); }
h1 { font-size: 30px; margin: 24px 0 8px; } h2 { font-size: 22px; margin-top: 36px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 18px; margin-top: 28px; }
a { color: var(--accent); }
code { font-family: ui-monospace, "SFMono-Regular", Consolas, "DejaVu Sans Mono", monospace; font-size: 0.88em; background: var(--code); padding: 1px 4px; border-radius: 3px; }
figure { margin: 14px 0; }
figure pre { margin: 0; background: var(--code); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow-x: auto; font-size: 13px; line-height: 1.45; }
figure pre code { background: none; padding: 0; font-size: inherit; }
figure.output pre { background: #101820; color: #e6edf3; border-color: #101820; }
figcaption { font-size: 12.5px; color: var(--muted); margin-bottom: 4px; }
pre { overflow-x: auto; }
img { max-width: 100%; height: auto; display: block; margin: 16px auto; }
table { border-collapse: collapse; margin: 12px 0; font-size: 14px; display: block; overflow-x: auto; }
th, td { border: 1px solid var(--line); padding: 5px 9px; vertical-align: top; text-align: left; }
th { background: #f8fafc; }
details { background: #f8fafc; border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; }
details[open] summary { margin-bottom: 8px; }
.charts img { border: 1px solid var(--line); margin: 12px 0; }
ol.lessons li { margin: 6px 0; }
nav.toc { background: #f8fafc; border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; margin: 16px 0; font-size: 14px; }
nav.toc strong { display: block; margin-bottom: 4px; }
nav.toc ol { margin: 0; padding-left: 20px; } nav.toc ol ol { padding-left: 4px; list-style: none; }
nav.pages { display: flex; justify-content: space-between; gap: 12px; flex-wrap: wrap; margin-top: 36px; padding-top: 12px; border-top: 1px solid var(--line); }
blockquote { margin: 16px 0; padding: 8px 16px; border-left: 4px solid var(--accent); background: #f4f8fc; }
/* Highlighted code (highlight.js classes), colours readable on the light code background. */
.hljs-keyword, .hljs-built_in, .hljs-meta { color: #8b3fa1; }
.hljs-type, .hljs-title.class_ { color: #0b6e75; }
.hljs-string, .hljs-char { color: #9a4a00; }
.hljs-number, .hljs-literal { color: #1f57a4; }
.hljs-comment { color: #5f6b76; font-style: italic; }
.hljs-title.function_, .hljs-title { color: #1d5b9f; }
.hljs-variable.language_, .hljs-attr, .hljs-property { color: #7a3b00; }
:lang(zh-CN) { line-break: strict; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; align-items: start; }
.pair > figure { margin: 8px 0; min-width: 0; }
figure.seed pre { background: #fdf3f2; border-color: #f0c8c2; }
td code, th code { overflow-wrap: anywhere; }
@media (max-width: 640px) {
  body { font-size: 15px; }
  header, main, footer { padding-left: 14px; padding-right: 14px; }
  h1 { font-size: 24px; } h2 { font-size: 20px; }
  /* A table keeps readable columns and scrolls sideways in its own box, never the page. */
  table { max-width: 100%; }
  .pair { grid-template-columns: 1fr; }
  th, td { min-width: 7em; }
  th:first-child, td:first-child { min-width: 5em; }
  figure pre { font-size: 12px; }
}
`;
