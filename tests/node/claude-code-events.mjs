// Sends Claude Code's `api_request` events through the OpenTelemetry JS SDK's OTLP log
// exporter, as Claude Code (and Gemini CLI) do: the protocol from OTEL_EXPORTER_OTLP_PROTOCOL
// (http/protobuf, http/json or grpc), the endpoint, headers and CA from the standard variables
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS; NODE_EXTRA_CA_CERTS for HTTP,
// OTEL_EXPORTER_OTLP_CERTIFICATE for gRPC). Exits 1, saying why, if an export failed.
//
//   node claude-code-events.mjs COUNT
//
// Event i (0-based) is 1000 input, 50 output, 200 cache-read and 30 cache-creation tokens of
// claude-sonnet-4-5 at 2026-11-10T12:00:00Z + i seconds, costing 0.0123 USD, by
// ann@example.com in team platform.
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { OTLPLogExporter as HttpJsonExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as HttpProtobufExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPLogExporter as GrpcExporter } from "@opentelemetry/exporter-logs-otlp-grpc";

const count = Number(process.argv[2] ?? "1");
const protocol = process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf";
const exporters = {
  "http/protobuf": HttpProtobufExporter,
  "http/json": HttpJsonExporter,
  grpc: GrpcExporter,
};
const Exporter = exporters[protocol];
if (!Exporter) {
  console.error(`unknown OTEL_EXPORTER_OTLP_PROTOCOL ${protocol}`);
  process.exit(2);
}

// The SDK reports a failed export only to its callback: keep the first failure.
const inner = new Exporter();
let failure = null;
const exporter = {
  export(records, done) {
    inner.export(records, (result) => {
      if (result.code !== 0 && failure === null) {
        failure = result.error ?? new Error(`export result ${result.code}`);
      }
      done(result);
    });
  },
  shutdown: () => inner.shutdown(),
  forceFlush: () => inner.forceFlush(),
};

const provider = new LoggerProvider({
  resource: resourceFromAttributes({ "service.name": "claude-code", "service.version": "2.1.328" }),
  processors: [new SimpleLogRecordProcessor({ exporter })],
});
const logger = provider.getLogger("com.anthropic.claude_code.events", "2.1.328");
const start = Date.UTC(2026, 10, 10, 12, 0, 0);
for (let i = 0; i < count; i++) {
  logger.emit({
    timestamp: new Date(start + i * 1000),
    body: "claude_code.api_request",
    attributes: {
      "event.name": "api_request",
      "event.timestamp": new Date(start + i * 1000).toISOString(),
      "event.sequence": i + 1,
      "session.id": "node-session",
      "prompt.id": `node-prompt-${i}`,
      "user.email": "ann@example.com",
      "team.id": "platform",
      "anthropic.provider": "firstParty",
      model: "claude-sonnet-4-5",
      input_tokens: 1000,
      output_tokens: 50,
      cache_read_tokens: 200,
      cache_creation_tokens: 30,
      cost_usd: 0.0123,
      duration_ms: 900,
    },
  });
}
await provider.forceFlush();
await provider.shutdown();
if (failure !== null) {
  console.error(`export failed: ${failure.message ?? failure}${failure.cause ? `: ${failure.cause.message ?? failure.cause}` : ""}`);
  process.exit(1);
}
