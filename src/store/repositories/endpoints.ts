/** Node endpoints' host addresses and ports, allocated per owner and role, and the interface that picks them. */
import type { CallTracker } from '../call-tracker.js';
import type { Db } from '../database.js';
import type { EndpointAllocation, EndpointAllocator } from '../../common/endpoint-addresses.js';
import type { Scope } from '../records.js';

/**
 * Host addresses for node endpoints, handed out by an EndpointAllocator: normally every endpoint gets its own
 * loopback address so it can listen on the port the user asked for, as every node has its own address on AWS.
 */
export class EndpointRepository {
  private readonly takenStmt;
  private readonly insertStmt;
  private readonly getStmt;
  private readonly releaseStmt;

  constructor(
    db: Db,
    private readonly allocator: EndpointAllocator,
    private readonly tracker: CallTracker,
  ) {
    this.takenStmt = db.prepare('SELECT address, port FROM endpoints');
    this.insertStmt = db.prepare(
      `INSERT INTO endpoints (address, port, account, region, owner_kind, owner_id, role)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.getStmt = db.prepare(
      'SELECT address, port FROM endpoints WHERE account = ? AND region = ? AND owner_kind = ? AND owner_id = ? AND role = ?',
    );
    this.releaseStmt = db.prepare(
      `DELETE FROM endpoints WHERE account = ? AND region = ? AND owner_kind = ? AND owner_id = ?
       AND (? IS NULL OR role = ?)`,
    );
  }

  /** The endpoint of an owner's role (node id, "cfg", ...), allocating one on first use. */
  allocate(scope: Scope, ownerKind: string, ownerId: string, role: string, port: number): EndpointAllocation {
    this.tracker.readOther();
    const existing = this.getStmt.get(scope.account, scope.region, ownerKind, ownerId, role) as EndpointAllocation;
    if (existing) return existing;
    this.tracker.beforeWrite();
    const chosen = this.allocator.choose(this.takenStmt.all() as EndpointAllocation[], port);
    if (!chosen) throw new Error(`No free endpoint address left for port ${port}`);
    this.insertStmt.run(chosen.address, chosen.port, scope.account, scope.region, ownerKind, ownerId, role);
    return chosen;
  }

  /** The endpoint of an owner's role, if one has been allocated. */
  find(scope: Scope, ownerKind: string, ownerId: string, role: string): EndpointAllocation | undefined {
    this.tracker.readOther();
    return this.getStmt.get(scope.account, scope.region, ownerKind, ownerId, role) as EndpointAllocation | undefined;
  }

  /** Frees one role's endpoint, or all of the owner's when no role is given. */
  release(scope: Scope, ownerKind: string, ownerId: string, role?: string): void {
    this.tracker.beforeWrite();
    this.releaseStmt.run(scope.account, scope.region, ownerKind, ownerId, role ?? null, role ?? null);
  }
}

/** Picks a new endpoint's address and port, given those already handed out and the port the cluster asked for. */
