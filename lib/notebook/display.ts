/**
 * Thin bridge to tslab's rich display. Outside a tslab kernel (CLI, tests) every call is a no-op that returns
 * false, so lib code may report to notebooks without depending on being in one.
 */

interface TslabDisplay {
  html(s: string): void;
  markdown(s: string): void;
  text(s: string): void;
  png(b: Uint8Array): void;
}
interface TslabModule {
  display: TslabDisplay;
  newDisplay(): TslabDisplay;
}

let cached: TslabModule | null | undefined;

/** tslab's public module when running inside a tslab kernel, else null (tslab is only loaded inside a kernel). */
function tslab(): TslabModule | null {
  if (cached !== undefined) return cached;
  cached = null;
  // The kernel process is started as `tslab kernel ...`; requiring tslab elsewhere costs ~1 s of TypeScript loading.
  if (!process.argv.some((a) => /tslab/.test(a))) return cached;
  try {
    // tslab's display throws "Not ready" until the kernel has wired its output channel.
    const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData?: unknown };
    if (jupyter.lastWriteDisplayData != null) cached = require('tslab') as TslabModule;
  } catch {
    cached = null;
  }
  return cached;
}

/** True inside a tslab notebook kernel. */
export function inNotebook(): boolean {
  return tslab() !== null;
}

export function showHtml(html: string): boolean {
  const t = tslab();
  if (t) t.display.html(html);
  return t !== null;
}

export function showMarkdown(md: string): boolean {
  const t = tslab();
  if (t) t.display.markdown(md);
  return t !== null;
}

/** A display entry that can be overwritten in place (progress lines), or null outside a notebook. */
export function newLiveDisplay(): { html(s: string): void; text(s: string): void } | null {
  const t = tslab();
  return t ? t.newDisplay() : null;
}

/** Escapes text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
