// scratch (deleted after): a throw-away database; dropped by hand afterwards
import { createTestDatabase } from '@single/testing';
const db = await createTestDatabase();
console.log(db.url);
process.exit(0);
