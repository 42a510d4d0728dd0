// @hey-api/openapi-ts: the SDK and its fetch client, with the .js import extensions Node's ES modules need.
export default {
  input: "../../../openapi/whistle.v1.json",
  output: { path: "generated/hey-api", importFileExtension: ".js" },
  plugins: ["@hey-api/typescript", "@hey-api/sdk", "@hey-api/client-fetch"],
};
