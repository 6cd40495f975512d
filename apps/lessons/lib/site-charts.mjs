// Lesson 5's charts for the site: @ipckit/bench draws them from the run (its HTML report); each becomes
// one standalone SVG file per language. The Chinese ones are the same drawings with their titles and
// axes translated (the targets' names stay as the bench names them).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_FILE } from './bench.mjs';

/** The charts' words in Chinese, longest first so that a phrase wins over the words inside it. */
const CHART_WORDS = {
  'zh-CN': [
    ['Ping-pong latency by size', '往返延迟，按消息大小'],
    ['Streaming throughput by size', '流式吞吐量，按消息大小'],
    ['Streaming message rate by size', '流式消息速率，按消息大小'],
    ['Fan-in throughput by size', '汇聚吞吐量，按消息大小'],
    ['CPU time per message by size', '每条消息的 CPU 时间，按消息大小'],
    ['both processes, user + system', '两个进程，用户态 + 系统态'],
    ['message size (bytes, log scale)', '消息大小（字节，对数坐标）'],
    ['payload MB/s (log scale)', '有效载荷 MB/s（对数坐标）'],
    ['messages/s (log scale)', '消息数/秒（对数坐标）'],
    ['round trip p50 (log scale)', '往返 p50（对数坐标）'],
    ['round trip p99 (log scale)', '往返 p99（对数坐标）'],
    ['(lower is better)', '（越低越好）'],
    ['(higher is better)', '（越高越好）'],
    ['memcpy ceiling (memory-bound)', 'memcpy 上限（受内存带宽限制）'],
    ['memcpy ceiling (cache-hot)', 'memcpy 上限（缓存命中）'],
    ['ROUND TRIP', '往返'],
    ['ONE-WAY', '单向'],
    ['1 writer → 1 reader', '1 个写端 → 1 个读端'],
    ['CPU per message (log scale)', '每条消息的 CPU（对数坐标）'],
    ['Many channels — aggregate ROUND TRIPS per second, 64 B', '多个通道：每秒往返总次数，64 B'],
    ['channels held by the client (log scale)', '客户端持有的通道数（对数坐标）'],
    ['round trips/s, all channels (log scale)', '往返次数/秒，所有通道合计（对数坐标）'],
    [' (log scale)', '（对数坐标）'],
  ],
};

/** Pixels added on the right of every chart. */
const CHART_MARGIN = 24;

/** A chart's texts (labels, title, aria-label) in `lang`. */
export function translateChart(svg, lang) {
  // The bench draws its legend up to the right edge, where a long label can end a few pixels past
  // it: the site's copies get a margin on the right (the drawing itself is the bench's).
  svg = svg.replace(
    /^<svg([^>]*) viewBox="0 0 (\d+) (\d+)" width="(\d+)"/,
    (_, attrs, w, h) => `<svg${attrs} viewBox="0 0 ${Number(w) + CHART_MARGIN} ${h}" width="${Number(w) + CHART_MARGIN}"`,
  );
  const words = CHART_WORDS[lang];
  if (!words) return svg;
  // The fan-in's writer count is the run's (--writers; 3 in the quick profile, 4 in the default).
  const tr = (text) => words.reduce((t, [en, zh]) => t.split(en).join(zh), text).replace(/\b(\d+) writers → 1 reader/g, '$1 个写端 → 1 个读端');
  return svg
    .replace(/aria-label="([^"]*)"/g, (_, t) => `aria-label="${tr(t)}"`)
    .replace(/<(text|title)\b([^>]*)>([^<]*)</g, (_, tag, attrs, t) => `<${tag}${attrs}>${tr(t)}<`);
}

/**
 * Writes bench/report.html, bench/run.json and one SVG per chart and language into `outDir`.
 * Returns [{ files: { en, 'zh-CN' }, titles: { en, 'zh-CN' } }].
 */
export async function benchCharts(run, outDir, langs) {
  const { renderHtml } = await import('@ipckit/bench');
  const report = renderHtml(run);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.html'), report);
  copyFileSync(RUN_FILE, join(outDir, 'run.json'));
  // The report styles its SVGs from its <style>: carry those rules into each file.
  const css = (/<style>([\s\S]*?)<\/style>/.exec(report)?.[1] ?? '')
    .split('\n')
    .filter((l) => l.trim().startsWith('svg'))
    .join('\n')
    .replace(/svg \./g, '.')
    .replace(/^svg \{[^}]*\}/m, '');
  const charts = [...report.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m, i) => {
    const svg = m[0].replace(
      /^<svg([^>]*)>/,
      (_, attrs) => `<svg${attrs}><style>text { font-family: system-ui, sans-serif; } ${css}</style><rect width="100%" height="100%" fill="#fff"/>`,
    );
    const files = {};
    const titles = {};
    for (const lang of langs) {
      const localised = translateChart(svg, lang);
      files[lang] = lang === 'en' ? `chart-${i + 1}.svg` : `chart-${i + 1}.${lang}.svg`;
      titles[lang] = /aria-label="([^"]*)"/.exec(localised)?.[1] ?? `chart ${i + 1}`;
      writeFileSync(join(outDir, files[lang]), localised);
    }
    return { files, titles };
  });
  return charts;
}
