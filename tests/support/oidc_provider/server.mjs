// A real third-party identity server for the end-to-end tests: panva's oidc-provider (8.x),
// configured for client_credentials, introspection, revocation and JWT introspection responses
// (RFC 9701). Started by tests/support/oidc_peer.py, never by hand in CI.
//
// Input (environment): OIDC_PEER_CLIENTS, a JSON array of client metadata objects.
// Output (stdout): one JSON line {"issuer": "...", "port": N} once it accepts connections.
// GET /test/introspections answers {"introspections": N}: the POSTs to the introspection
// endpoint so far (oidc-provider keeps no such count). Its keys are at /jwks.
// It binds 127.0.0.1 on a free port and exits on SIGTERM/SIGINT or when stdin closes.
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const clients = JSON.parse(process.env.OIDC_PEER_CLIENTS ?? '[]');
const scopes = new Set(['openid']);
for (const client of clients) {
  for (const scope of (client.scope ?? '').split(' ').filter(Boolean)) scopes.add(scope);
}

// A fresh signing key per run: RS256 is the default introspection_signed_response_alg.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-rs256', use: 'sig', alg: 'RS256' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients,
    scopes: [...scopes],
    jwks: { keys: [signingKey] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      jwtIntrospection: { enabled: true },
      revocation: { enabled: true },
    },
    ttl: { ClientCredentials: 600 },
    cookies: { keys: ['e2e-only-cookie-key'] },
  });
  let introspections = 0;
  const callback = provider.callback();
  server.on('request', (request, response) => {
    const path = request.url.split('?')[0];
    if (request.method === 'GET' && path === '/test/introspections') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ introspections }));
      return;
    }
    if (request.method === 'POST' && path === '/token/introspection') introspections += 1;
    callback(request, response);
  });
  process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
