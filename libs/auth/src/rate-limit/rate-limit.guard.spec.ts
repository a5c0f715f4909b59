import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerStorage } from '@nestjs/throttler';
import { RateLimitGuard } from './rate-limit.guard';

class TasksController {
  get(): void {}
  list(): void {}
}

const contextOf = (handler: () => void) => ({ getClass: () => TasksController, getHandler: () => handler }) as unknown as ExecutionContext;
const storage = {} as ThrottlerStorage;
type KeyOf = (context: ExecutionContext, tracker: string, name: string) => string;
const keyOf = (guard: ThrottlerGuard) => (guard as unknown as { generateKey: KeyOf }).generateKey.bind(guard);

describe('RateLimitGuard counter keys', () => {
  const library = keyOf(new ThrottlerGuard({ throttlers: [] }, storage, new Reflector()));
  const ours = keyOf(new RateLimitGuard({ throttlers: [] }, storage, new Reflector()));

  it.each([
    ['a user on a route', TasksController.prototype.get, 'user:6f1c', 'default'],
    ['an API key on a route', TasksController.prototype.get, 'key:91ab', 'default'],
    ['an address under the login limit', TasksController.prototype.list, '10.0.0.7|admin', 'login'],
  ])('are the library’s own keys for %s, so counts stay shared with gateways of other versions', (_name, handler, tracker, limit) => {
    expect(ours(contextOf(handler), tracker, limit)).toBe(library(contextOf(handler), tracker, limit));
    // Remembered: the same answer the second time.
    expect(ours(contextOf(handler), tracker, limit)).toBe(library(contextOf(handler), tracker, limit));
  });

  it('differ by route, caller and limit', () => {
    const keys = new Set([
      ours(contextOf(TasksController.prototype.get), 'user:1', 'default'),
      ours(contextOf(TasksController.prototype.list), 'user:1', 'default'),
      ours(contextOf(TasksController.prototype.get), 'user:2', 'default'),
      ours(contextOf(TasksController.prototype.get), 'user:1', 'scan'),
    ]);
    expect(keys.size).toBe(4);
  });

  it('keep no memo of a long caller (a login username straight from an unvalidated body), yet give the library’s key', () => {
    const guard = new RateLimitGuard({ throttlers: [] }, storage, new Reflector());
    const remembered = () => (guard as unknown as { keys: Map<string, string> }).keys.size;
    const long = `10.0.0.7|${'u'.repeat(100_000)}`;
    expect(keyOf(guard)(contextOf(TasksController.prototype.list), long, 'login')).toBe(
      library(contextOf(TasksController.prototype.list), long, 'login'),
    );
    expect(remembered()).toBe(0);
    keyOf(guard)(contextOf(TasksController.prototype.list), '10.0.0.7|admin', 'login');
    expect(remembered()).toBe(1);
  });
});
