// Types of tools/chromium.mjs, for the TypeScript tests that use it.

/** Where Debian's chromium package puts the browser. */
export declare const CHROMIUM: string;
/** A font with CJK glyphs. */
export declare const CJK_FONT: string;
/** The flags chromium starts with (headless, no sandbox, no network). */
export declare const CHROMIUM_ARGS: string[];
/** Installs chromium and the CJK font when missing; returns the packages it installed. */
export declare function ensureChromium(options?: { log?: (line: string) => void }): string[];
