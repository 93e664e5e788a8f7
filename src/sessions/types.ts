import type { Store } from 'express-session';
import type { SessionStoreKind } from '../config/types.ts';

/** Short-lived records beside the sessions: pending sign-ins, replay markers, logout-token jti. */
export interface KeyValue {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSec: number): Promise<void>;
  /** Sets only if absent (atomically, across instances): a lock or a seen-once marker. True when this call set it. */
  add(key: string, value: unknown, ttlSec: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Gives a live record a new time to live, leaving its value alone (no read-modify-write race); absent: nothing. */
  touch(key: string, ttlSec: number): Promise<void>;
  /**
   * Deletes a live record only while it still holds `value`, in one atomic step: releases a lock without removing
   * the one another instance took after ours expired. True when this call deleted it.
   */
  release(key: string, value: unknown): Promise<boolean>;
}

/** Who a session belongs to, so "sign this user out everywhere" and back-channel logout can find it. */
export interface SessionOwner {
  sub: string;
  /** The provider's session id (`sid` claim), when it sends one. */
  sid?: string | undefined;
}

export interface SessionBackend {
  kind: SessionStoreKind;
  /** The express-session store. Its failures surface as AppError('SESSION_STORE_UNAVAILABLE'). */
  store: Store;
  kv: KeyValue;
  /** The longest one store operation may take before it fails: what a lock held across several of them must outlast. */
  opDeadlineMs: number;
  /** Records that sessionId belongs to owner, for ttlSec. */
  indexSession(sessionId: string, owner: SessionOwner, ttlSec: number): Promise<void>;
  /** Session ids for a user (by sub) or a provider session (by sid). */
  findSessions(query: { sub?: string; sid?: string }): Promise<string[]>;
  /** Resolves when the store answers; rejects with AppError('SESSION_STORE_UNAVAILABLE') otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
