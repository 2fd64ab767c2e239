// Compile every schema of a folder with ajv 8 in strict mode, then validate instances against
// them; prints one JSON report and exits 1 if anything failed. Tools in other languages validate
// our files with such strict validators, so our schemas must compile there, not only in Python.
//
//   node ajv-strict.mjs SCHEMAS_DIR [SCHEMA_FILE=INSTANCE.json ...]
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [folder, ...pairs] = process.argv.slice(2);
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const report = { compiled: [], problems: [], validated: 0 };
const names = readdirSync(folder).filter((name) => name.endsWith(".schema.json")).sort();
for (const name of names) ajv.addSchema(JSON.parse(readFileSync(join(folder, name), "utf8")), name);
for (const name of names) {
  try {
    ajv.getSchema(name);
    report.compiled.push(name);
  } catch (error) {
    report.problems.push({ schema: name, error: String(error.message) });
  }
}
for (const pair of pairs) {
  const [schema, instance] = pair.split("=");
  const validate = ajv.getSchema(schema);
  if (!validate) continue; // its compile error is reported above
  if (!validate(JSON.parse(readFileSync(instance, "utf8")))) {
    report.problems.push({ schema, instance, errors: validate.errors });
  }
  report.validated += 1;
}
console.log(JSON.stringify(report, null, 1));
process.exit(report.problems.length ? 1 : 0);
