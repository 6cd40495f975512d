import type { TestUserConfig, ViteUserConfig } from 'vitest/config';

/** The shared configuration, with `test` options of one project laid over it. */
export declare function vitestPreset(test?: TestUserConfig): ViteUserConfig;

/** The shared configuration as it is. */
declare const preset: ViteUserConfig;
export default preset;
