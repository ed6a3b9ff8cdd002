// The benchmark's peers, bundled by build.mjs (esbuild) into build/vendor/peers.mjs.
export { booleanPointInPolygon } from "@turf/boolean-point-in-polygon";
export { default as Flatbush } from "flatbush";
