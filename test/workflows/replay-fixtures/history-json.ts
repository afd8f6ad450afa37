// Reads and writes workflow histories as proto JSON, the format of `temporal workflow show
// --output json`, the Web UI's download and the SDK's `historyToJSON`/`historyFromJSON`.
//
// Why not just the SDK's two functions: with this project's dependency tree npm installs two
// copies of protobufjs 8, one under @temporalio/common and one under @temporalio/proto (a hoisted
// protobufjs 7 for @grpc/proto-loader keeps them from being shared). The SDK's functions take the
// message types from @temporalio/proto and the JSON converter from @temporalio/common's copy, whose
// `instanceof Type` check then fails ("type must be a Type"). So the SDK's functions are tried
// first and, when they fail that way, the converter is taken from the copy @temporalio/proto uses.
import { createRequire } from 'node:module';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';

export type { History };

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

let fallback: { protojson: ProtoJson; historyType: unknown } | undefined;
function protoJson() {
  if (!fallback) {
    const fromProto = createRequire(require.resolve('@temporalio/proto'));
    const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
    fallback = {
      protojson: fromProto('protobufjs/ext/protojson') as ProtoJson,
      historyType: root.lookupType('temporal.api.history.v1.History'),
    };
  }
  return fallback;
}

const isTypeMismatch = (err: unknown) => err instanceof TypeError && /must be a Type/.test(err.message);

/** A history (e.g. from `handle.fetchHistory()`) as a proto JSON object: `{ events: [...] }`. */
export function historyToJsonObject(history: History): { events: unknown[] } {
  try {
    return JSON.parse(historyToJSON(history)) as { events: unknown[] };
  } catch (err) {
    if (!isTypeMismatch(err)) throw err;
    const { protojson, historyType } = protoJson();
    const message = proto.temporal.api.history.v1.History.fromObject(history);
    return protojson.toJson(historyType, message) as { events: unknown[] };
  }
}

/**
 * A proto JSON history (`{ events: [...] }`; other top-level fields are ignored) as a History. The
 * fallback reads standard proto JSON (enum values by their full names, as written here and by the
 * current CLI); the SDK's own function also accepts older tools' short enum names.
 */
export function historyFromJsonObject(json: unknown): History {
  try {
    return historyFromJSON(json);
  } catch (err) {
    // The SDK checked the shape (an object with an array of events) before it failed this way.
    if (!isTypeMismatch(err)) throw err;
    const { protojson, historyType } = protoJson();
    const loaded = protojson.fromJson(
      historyType,
      { events: (json as History).events },
      { ignoreUnknownFields: true },
    );
    if (!loaded) throw new TypeError('invalid history', { cause: err });
    return loaded as History;
  }
}
