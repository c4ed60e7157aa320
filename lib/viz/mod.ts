/**
 * Charts: Vega-Lite spec builders, headless SVG rendering and notebook display.
 *
 * @module
 */
export * from "./charts.ts";
export * from "./render.ts";
export * from "./display.ts";
