// Types for cluster-key-slot (ioredis's slot function), which ships none.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot of a key (its hash tag's, when it has one). */
  function calculateSlot(key: string | Buffer | Uint8Array): number;
  export default calculateSlot;
}
