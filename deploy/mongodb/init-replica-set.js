// mongosh --tls --host mongo-1 -u admin init-replica-set.js
// Starts the replica set, then creates one user per subsystem with readWrite on the databases
// of that subsystem's modules only: a node stores module m in database `<dbPrefix>m`, and each
// subsystem's config sets dbPrefix to "<subsystem>_" (deploy/mongodb/README.md).
rs.initiate({
  _id: 'insights',
  members: [
    { _id: 0, host: 'mongo-1:27017' },
    { _id: 1, host: 'mongo-2:27017' },
    { _id: 2, host: 'mongo-3:27017' },
  ],
});
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
  db.getSiblingDB('admin').createUser({
    user: `insights-${subsystem}`,
    pwd: passwordPrompt(),
    roles: modules.map((m) => ({ role: 'readWrite', db: `${subsystem}_${m}` })),
  });
}
