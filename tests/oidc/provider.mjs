// A real OpenID Connect provider for hdab's sign-in tests (panva's oidc-provider, a
// certified implementation), on loopback. It stands in for the agency's broker in front of
// SITHS, Freja eID and BankID: a person signs in as an account and says how (a password
// alone, or with a second factor), which comes back to hdab as the ID token's `acr`.
//
//   node provider.mjs PORT HDAB_URL
//
// prints `issuer http://127.0.0.1:PORT` when it listens. The login page is plain HTML with no
// script: an account name, the method, a button.

import http from 'node:http';
import Provider from 'oidc-provider';

const [port, hdab] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
export const ACR = { password: 'urn:hdab:test:loa2', mfa: 'urn:hdab:test:loa3' };

const configuration = {
  clients: [{
    client_id: 'hdab',
    client_secret: 'hdab-test-secret',
    redirect_uris: [`${hdab}/login/oidc/callback`],
    post_logout_redirect_uris: [`${hdab}/`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  acrValues: [ACR.password, ACR.mfa],
  claims: { openid: ['sub'], profile: ['name'] },
  scopes: ['openid', 'profile'],
  pkce: { required: () => true },
  cookies: { keys: ['hdab-test-cookie-key'] },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Log out</title></head>
<body><h1>Log out of the identity provider?</h1>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout" id="logout-yes">Yes, log me out</button>
<button type="submit" form="op.logoutForm" id="logout-no">No</button></body></html>`;
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Logged out</title></head><body><h1 id="logged-out">Logged out</h1></body></html>';
      },
    },
  },
  // hdab is the agency's own client: the person's sign-in is the consent.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, name: id }; } };
  },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, err) => console.error('provider error', err));

function page(uid, asked) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in to the test identity provider</h1>
<p id="asked">${asked ? `asked for: ${asked}` : ''}</p>
<form method="post" action="/interaction/${uid}/login">
<label for="account">Account</label><input id="account" name="account" autocomplete="off">
<label for="method">Method</label><select id="method" name="method">
<option value="password">Password only</option><option value="mfa">Password and a second factor</option></select>
<button type="submit" id="sign-in">Sign in</button></form></body></html>`;
}

async function body(req) {
  let data = '';
  for await (const chunk of req) data += chunk;
  return Object.fromEntries(new URLSearchParams(data));
}

const handler = provider.callback();
const server = http.createServer(async (req, res) => {
  const m = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
  if (!m) return handler(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(page(details.uid, details.params.acr_values));
      return;
    }
    const form = await body(req);
    if (!form.account) {
      res.statusCode = 400;
      res.end('an account is needed');
      return;
    }
    const mfa = form.method === 'mfa';
    await provider.interactionFinished(req, res, {
      login: { accountId: form.account, acr: mfa ? ACR.mfa : ACR.password, amr: mfa ? ['pwd', 'otp'] : ['pwd'] },
    }, { mergeWithLastSubmission: false });
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
});
server.listen(Number(port), '127.0.0.1', () => console.log(`issuer ${issuer}`));
