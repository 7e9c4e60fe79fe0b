import {
  connectRedis as connectSharedRedis,
  type RedisTarget,
  RedisUnreachableError,
} from '@gatehouse/redis';
import type { Redis } from 'ioredis';
import { GatewayError, GatewayErrorCode } from '../errors.js';

/**
 * Connects and pings once (@gatehouse/redis), failing fast with GATEWAY_REDIS_UNREACHABLE instead of
 * retrying for ever: a gateway that cannot reach Redis cannot hold or dispatch anything.
 */
export async function connectRedis(target: RedisTarget): Promise<Redis> {
  try {
    return await connectSharedRedis(target);
  } catch (error) {
    if (!(error instanceof RedisUnreachableError)) throw error;
    throw new GatewayError(GatewayErrorCode.RedisUnreachable, error.message, { cause: error });
  }
}
