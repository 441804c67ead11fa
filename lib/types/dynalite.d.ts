declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    ssl?: boolean;
  }
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}

declare module 'avsc/lib/types.js' {
  import type avsc from 'avsc';

  const types: { Type: typeof avsc.Type; builtins: typeof avsc.types };
  export default types;
}
