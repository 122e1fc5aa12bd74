// mongosh --tls --host mongo-1 -u admin create-module-users.js
// One user per module database, with readWrite on that database only: a node configured with
// `db.users` connects each module as its own user, so a module cannot read another module's data.
// The user of module m in subsystem s is named like its database, `<s>_<m>`, and authenticates
// against it (authSource = the database). Copy each printed password into that subsystem's
// config (db.users.<m>.password, or a secret store).
//
// Alternative: create only the provisioning account below and set `db.provision` in the node
// configs; nodes then create these users themselves (passwords derived from db.provision.secret).
const MODULES = {
  lms: [
    'edx',
    'weekly-activity',
    'enrollment',
    'grade-distribution',
    'answer-distribution',
    'video-engagement',
    'time-on-task',
    'irt',
  ],
  forums: ['edx', 'weekly-activity'],
  wiki: ['edx', 'examples'],
};
for (const [subsystem, modules] of Object.entries(MODULES)) {
  for (const m of modules) {
    const name = `${subsystem}_${m}`;
    const pwd = Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, '0')).join('');
    db.getSiblingDB(name).createUser({ user: name, pwd, roles: [{ role: 'readWrite', db: name }] });
    print(`${subsystem}: db.users["${m}"] = { "username": "${name}", "password": "${pwd}" }`);
  }
}
// The provisioning account (only if nodes create module users themselves): it can manage users,
// and grants itself nothing else.
db.getSiblingDB('admin').createUser({
  user: 'insights-provisioner',
  pwd: passwordPrompt(),
  roles: [{ role: 'userAdminAnyDatabase', db: 'admin' }],
});
