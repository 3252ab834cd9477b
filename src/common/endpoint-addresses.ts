/**
 * An endpoint's host address and port, and the strategy that picks a free one: the store records which endpoint
 * has which address, the dataplane knows which addresses this machine can listen on.
 */

export interface EndpointAllocation {
  address: string;
  port: number;
}

export interface EndpointAllocator {
  choose(taken: EndpointAllocation[], requestedPort: number): EndpointAllocation | undefined;
}
