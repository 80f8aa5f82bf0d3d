// dd-trace ships its ESM entry (the loader hook that instruments ES modules) without type declarations.
declare module 'dd-trace/initialize.mjs';
