// Types of dist/vendor/js-yaml.mjs, the ES module of the pinned js-yaml devDependency that
// scripts/vendor-runtime.mjs copies there; they are @types/js-yaml's, for the same 4.x API.
export { FAILSAFE_SCHEMA, load, Schema, Type, YAMLException } from 'js-yaml';
