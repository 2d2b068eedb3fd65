// What Element's crypto stack (matrix-js-sdk with its Rust crypto, as in Element Web) thinks
// of other people's devices: is each one cross-signed by its owner? Logs in as an existing
// device, syncs once (devices of people in shared encrypted rooms are tracked from there),
// prints one line "device-trust: {JSON}", {"USER DEVICE": {"known": bool, "signed_by_owner": bool}}.
//
//   node device_trust.mjs HOMESERVER USER ACCESS_TOKEN DEVICE_ID USER:DEVICE [USER:DEVICE ...]
//
// (USER:DEVICE splits at the last colon: user ids contain colons, device ids do not.)

// matrix-js-sdk asks for Node 22; on Node 20 it needs only this one addition.
Promise.withResolvers ??= function withResolvers() {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
const sdk = await import("matrix-js-sdk");
const { logger } = await import("matrix-js-sdk/lib/logger.js");
logger.disableAll();

const [homeserver, userId, accessToken, deviceId, ...targets] = process.argv.slice(2);
const client = sdk.createClient({ baseUrl: homeserver, userId, accessToken, deviceId });
await client.initRustCrypto({ useIndexedDB: false });
const synced = new Promise((resolve) => {
  client.on(sdk.ClientEvent.Sync, (state) => {
    if (state === "PREPARED") resolve();
  });
});
await client.startClient({ initialSyncLimit: 1, lazyLoadMembers: false });
await synced;
const crypto = client.getCrypto();
const seen = {};
for (const target of targets) {
  const cut = target.lastIndexOf(":");
  const [user, device] = [target.slice(0, cut), target.slice(cut + 1)];
  let status = null;
  // The key query for a newly tracked user may still be on its way: bounded, 10 s at most.
  for (let attempt = 0; attempt < 100 && status === null; attempt++) {
    status = await crypto.getDeviceVerificationStatus(user, device);
    if (status === null) await new Promise((done) => setTimeout(done, 100));
  }
  seen[`${user} ${device}`] = { known: status !== null, signed_by_owner: !!status?.signedByOwner };
}
console.log(`device-trust: ${JSON.stringify(seen)}`);
client.stopClient();
process.exit(0);
