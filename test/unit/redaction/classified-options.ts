/**
 * THE list: every option of every lido pool, and of the drivers' option objects lido
 * passes through, classified as one that can hold a secret (`secret`) or one that cannot
 * (`none`). A new option that holds a secret is added to `secret` here, and the leak test
 * (leaks.test.ts) then plants a secret in it for every pool class that takes it.
 *
 * Nothing can be forgotten: the lists are checked against
 * - the options types, at compile time (`npm run typecheck`): {@link classified} does not
 *   compile while a key of the type is missing, and names it;
 * - the keys each class validates, at run time (coverage.test.ts reads them from the
 *   "unknown option" error, which lists every known key), and the drivers' own lists
 *   (pg.defaults, ioredis' defaultOptions).
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { ClientConfig as PgClientConfig } from 'pg';
import type { RedisOptions } from 'ioredis';
import type { PoolOptions } from '../../../src/core/options.js';
import type { KeyedPoolOptions } from '../../../src/keyed/options.js';
import type { ClusterProbeOptions, PoolClusterOptions } from '../../../src/cluster/options.js';
import type { PgConnectionOptions } from '../../../src/adapters/pg/types.js';
import type { PgPoolOptions } from '../../../src/adapters/pg/options.js';
import type { RedisPoolOptions } from '../../../src/adapters/redis/pool.js';
import type { RedisFactoryOptions } from '../../../src/adapters/redis/factory.js';
import type { RedisConnectionOptions } from '../../../src/adapters/redis/types.js';
import type { RedisBudgetOptions } from '../../../src/adapters/redis/budget.js';
import type { LocalBudgetOptions } from '../../../src/budget/local.js';
import type {
  HttpClientOptions,
  HttpConnectOptions,
  HttpOriginOptions,
  HttpPoolOptions,
} from '../../../src/adapters/http/options.js';

/** The named keys of `T` (an index signature, as pass-through option types have, is left out). */
type Known<T> = keyof {
  [K in keyof T as string extends K ? never : number extends K ? never : symbol extends K ? never : K]: unknown;
};

/** Whether every option of a list is one that can hold a secret or not. */
export interface Classes {
  readonly secret: readonly string[];
  readonly none: readonly string[];
}

/**
 * `classified<T>()({ secret, none })` compiles only when the two lists together name every
 * key of `T`: a key the lists miss fails `npm run typecheck` with `{ missing: "<key>" }`.
 */
function classified<T>() {
  return <const C extends Classes>(
    c: C &
      ([Exclude<Known<T>, C['secret'][number] | C['none'][number]>] extends [never]
        ? unknown
        : { missing: Exclude<Known<T>, C['secret'][number] | C['none'][number]> }),
  ): C => c;
}

/** `Pool` (and every member pool of `KeyedPool`, `PoolCluster`, `RedisPool`, `HttpPool`). */
export const POOL = classified<PoolOptions<unknown>>()({
  // The factory holds the user's connection secrets in its closures and fields: never printed.
  secret: ['factory'],
  none: [
    'name',
    'min',
    'max',
    'acquireTimeoutMs',
    'createTimeoutMs',
    'idleTimeoutMs',
    'maxLifetimeMs',
    'keepaliveMs',
    'validateAfterIdleMs',
    'validateTimeoutMs',
    'resetTimeoutMs',
    'maxWaiting',
    'maxUses',
    'order',
    'leakDetectionMs',
    'createRetry',
    'failFast',
    'maxConcurrentCreates',
    'allowExitOnIdle',
    'keepMin',
    'destroyTimeoutMs',
    'thawAfterMs',
    'autoSize',
    'clock',
    'random',
  ],
});

export const KEYED = classified<KeyedPoolOptions<unknown, unknown>>()({
  secret: ['factory'],
  none: ['perKey', 'maxTotal', 'idlePoolTimeoutMs', 'name', 'keyName', 'clock'],
});

export const CLUSTER = classified<PoolClusterOptions<unknown>>()({
  // Pools or pool options: their factories.
  secret: ['primary', 'replicas'],
  none: ['strategy', 'fallbackToPrimary', 'ejectAfter', 'probe', 'name', 'clock', 'random'],
});

export const CLUSTER_PROBE = classified<ClusterProbeOptions<unknown>>()({
  secret: [],
  none: ['baseMs', 'capMs', 'timeoutMs', 'check'],
});

/** Node's TLS options (`ssl` of pg, `tls` of ioredis, `connect` of undici). */
export const TLS = classified<TlsConnectionOptions>()({
  secret: ['key', 'passphrase', 'pfx', 'session', 'pskCallback', 'privateKeyIdentifier', 'privateKeyEngine'],
  none: [
    'host',
    'port',
    'path',
    'socket',
    'checkServerIdentity',
    'servername',
    'minDHSize',
    'lookup',
    'timeout',
    'ca',
    'cert',
    'sigalgs',
    'ciphers',
    'clientCertEngine',
    'crl',
    'dhparam',
    'ecdhCurve',
    'honorCipherOrder',
    'maxVersion',
    'minVersion',
    'secureOptions',
    'secureProtocol',
    'sessionIdContext',
    'ticketKeys',
    'sessionTimeout',
    'enableTrace',
    'requestCert',
    'ALPNProtocols',
    'SNICallback',
    'rejectUnauthorized',
    'secureContext',
    'isServer',
    'server',
    'requestOCSP',
    'ALPNCallback',
    'allowPartialTrustChain',
    'certificateCompression',
  ],
});

/** pg's `Client` options (what `PgPool` and `pgFactory` pass through). */
export const PG_CLIENT = classified<PgClientConfig>()({
  secret: ['password', 'connectionString', 'ssl'],
  none: [
    'user',
    'database',
    'port',
    'host',
    'keepAlive',
    'stream',
    'statement_timeout',
    'enableChannelBinding',
    'sslnegotiation',
    'query_timeout',
    'lock_timeout',
    'keepAliveInitialDelayMillis',
    'idle_in_transaction_session_timeout',
    'application_name',
    'fallback_application_name',
    'connectionTimeoutMillis',
    'types',
    'options',
    'client_encoding',
    'pipeline',
    // in pg.defaults, not in @types/pg
    'rows',
    'binary',
    'parseInputDatesAsUTC',
    'connect_timeout',
    'keepalives',
    'keepalives_idle',
    'parseInt8',
    'max',
    'idleTimeoutMillis',
  ],
});

/** `pgFactory` options: lido's connection options (pg's client options pass through). */
export const PG_CONNECTION = classified<PgConnectionOptions>()({
  secret: ['password', 'connectionString', 'ssl'],
  none: ['Client', 'host', 'port', 'user', 'database', 'onConnect', 'verify', 'resetOnRelease', 'pingQuery', 'log'],
});

/** `PgPool`'s own options (connection options, the core's, pg-pool's, replicas). */
export const PG_POOL = classified<PgPoolOptions>()({
  secret: [...PG_CONNECTION.secret, 'replicas'],
  none: [
    ...PG_CONNECTION.none,
    ...POOL.none.filter((k) => k !== 'min' && k !== 'max' && k !== 'maxUses' && k !== 'allowExitOnIdle'),
    'max',
    'poolSize',
    'min',
    'idleTimeoutMillis',
    'connectionTimeoutMillis',
    'maxUses',
    'maxLifetimeSeconds',
    'allowExitOnIdle',
    'replicaStrategy',
    'fallbackToPrimary',
    'ejectAfter',
    'probe',
  ],
});

export const REDIS_POOL = classified<RedisPoolOptions>()({
  secret: ['redis'],
  none: [...POOL.none, 'Redis'],
});

/** `redisBudget` (lido/redis): `redis` is a URL, ioredis options or a client, and may hold a password. */
export const REDIS_BUDGET = classified<RedisBudgetOptions>()({
  secret: ['redis'],
  none: ['name', 'max', 'leaseMs', 'onUnavailable', 'Redis', 'clock'],
});

/** `localBudget` (lido): nothing in it can hold a secret. */
export const LOCAL_BUDGET = classified<LocalBudgetOptions>()({
  secret: [],
  none: ['max', 'name'],
});

export const REDIS_FACTORY = classified<RedisFactoryOptions>()({
  secret: ['redis'],
  none: ['Redis'],
});

/** ioredis options (the `redis` option as an object: lido's documented keys, and ioredis' own). */
export const REDIS_CONNECTION = classified<RedisConnectionOptions & RedisOptions>()({
  secret: ['password', 'sentinelPassword', 'tls', 'sentinelTLS', 'sentinels'],
  none: [
    'host',
    'port',
    'path',
    'username',
    'db',
    'protocol',
    'connectTimeout',
    'commandTimeout',
    'keyPrefix',
    'connectionName',
    'family',
    'Connector',
    'retryStrategy',
    'disconnectTimeout',
    'keepAlive',
    'noDelay',
    'disableClientInfo',
    'clientInfoTag',
    'name',
    'role',
    'sentinelUsername',
    'sentinelRetryStrategy',
    'sentinelReconnectStrategy',
    'preferredSlaves',
    'sentinelCommandTimeout',
    'enableTLSForSentinelMode',
    'natMap',
    'updateSentinels',
    'sentinelMaxConnections',
    'failoverDetector',
    'enableOfflineQueue',
    'enableReadyCheck',
    'autoResubscribe',
    'autoResendUnfulfilledCommands',
    'lazyConnect',
    'reconnectOnError',
    'readOnly',
    'stringNumbers',
    'replyMapping',
    'maxRetriesPerRequest',
    'maxLoadingRetryTime',
    'enableAutoPipelining',
    'autoPipeliningIgnoredCommands',
    'monitor',
    'offlineQueue',
    'commandQueue',
    'socketTimeout',
    'blockingTimeout',
    'blockingTimeoutGrace',
    'showFriendlyErrorStack',
    'scripts',
    'himportFieldsets',
  ],
});

export const HTTP_ORIGIN = classified<HttpOriginOptions>()({
  secret: ['connect'],
  none: [
    'min',
    'max',
    'acquireTimeoutMs',
    'createTimeoutMs',
    'idleTimeoutMs',
    'maxLifetimeMs',
    'maxWaiting',
    'maxUses',
    'order',
    'failFast',
    'createRetry',
    'maxConcurrentCreates',
    'validateAfterIdleMs',
    'autoSize',
    'client',
  ],
});

export const HTTP_POOL = classified<HttpPoolOptions>()({
  // `origins`: its keys are origins, which may carry credentials (`https://user:pass@host`).
  secret: [...HTTP_ORIGIN.secret, 'origins'],
  none: [
    ...HTTP_ORIGIN.none,
    'name',
    'maxTotal',
    'idlePoolTimeoutMs',
    'leakDetectionMs',
    'allowExitOnIdle',
    'undici',
    'clock',
    'random',
  ],
});

/** undici's socket options (`connect`): TLS plus undici's own. */
export const HTTP_CONNECT = classified<HttpConnectOptions>()({
  secret: [...TLS.secret],
  none: [
    ...TLS.none,
    'maxCachedSessions',
    'socketPath',
    'keepAlive',
    'keepAliveInitialDelay',
    'allowH2',
    'autoSelectFamily',
    'autoSelectFamilyAttemptTimeout',
    'localAddress',
    'preferH2',
    'typeOfService',
  ],
});

/** undici's `Client` options (`client`). */
export const HTTP_CLIENT = classified<HttpClientOptions>()({
  // undici's older spelling of the TLS options
  secret: ['tls'],
  none: [
    'maxHeaderSize',
    'headersTimeout',
    'socketTimeout',
    'requestTimeout',
    'connectTimeout',
    'bodyTimeout',
    'idleTimeout',
    'keepAlive',
    'keepAliveTimeout',
    'maxKeepAliveTimeout',
    'keepAliveMaxTimeout',
    'keepAliveTimeoutThreshold',
    'socketPath',
    'strictContentLength',
    'maxCachedSessions',
    'maxRequestsPerClient',
    'localAddress',
    'maxResponseSize',
    'webSocket',
    'eventSource',
    'autoSelectFamily',
    'autoSelectFamilyAttemptTimeout',
    'allowH2',
    'maxConcurrentStreams',
    'initialWindowSize',
    'connectionWindowSize',
    'pingInterval',
    'h2Options',
    'useMilo',
  ],
});
