// as-keyword: a Kefu edge plugin in AssemblyScript, written against
// plugins/ABI.md (version 1) without any kit, to show that the ABI is
// language-neutral.
//
// Inbound messages:
//   - that contain a keyword (config "keywords", comma-separated; default
//     "lawyer,chargeback,律师,12315,投诉") are escalated with the keyword as
//     the reason;
//   - that start with "ping" are answered "pong from AssemblyScript";
//   - anything else passes (result 0: no output at all).
//
// It exports no kefu_envelope_formats, so the host sends it the JSON
// envelope (ABI.md section 4); a guest that exports it with bit 2 gets the
// binary layout of section 4.1 instead (the Go PDK does).

// ---- host imports (module "kefu") ----------------------------------------

@external("kefu", "log")
declare function host_log(level: i32, ptr: usize, len: i32): void;

@external("kefu", "config_get")
declare function host_config_get(keyPtr: usize, keyLen: i32, outPtr: usize, outCap: i32): i32;

@external("kefu", "take")
declare function host_take(outPtr: usize, outCap: i32): i32;

// ---- buffers ---------------------------------------------------------------

// The input buffer handed to the host by kefu_alloc, and the last result;
// both are kept alive by these globals (the GC never frees them).
let input: ArrayBuffer = new ArrayBuffer(1024);
let output: ArrayBuffer = new ArrayBuffer(0);

export function kefu_abi_version(): i32 {
  return 1;
}

export function kefu_hooks(): i32 {
  return 1; // inbound only
}

export function kefu_alloc(len: i32): usize {
  if (len < 0) return 0;
  if (len > input.byteLength) input = new ArrayBuffer(len);
  return changetype<usize>(input);
}

export function kefu_on_inbound(ptr: usize, len: i32): i64 {
  const env = String.UTF8.decodeUnsafe(ptr, <usize>len);
  const text = messageText(env);
  const lower = text.toLowerCase();

  if (lower.startsWith("ping")) {
    return result('{"verdict":"answer","answer":"pong from AssemblyScript"}');
  }
  const keywords = config("keywords", "lawyer,chargeback,律师,12315,投诉").split(",");
  for (let i = 0; i < keywords.length; i++) {
    const k = keywords[i].trim().toLowerCase();
    if (k.length > 0 && lower.includes(k)) {
      log(1, "as-keyword: escalating on " + k);
      return result(
        '{"verdict":"escalate","reason":' + quote("keyword: " + k) +
        ',"labels":{"keyword":' + quote(k) + "}}",
      );
    }
  }
  return 0;
}

// ---- helpers ---------------------------------------------------------------

// result stores s as the call's output and packs (pointer << 32 | length).
function result(s: string): i64 {
  output = String.UTF8.encode(s);
  return (<i64>changetype<usize>(output) << 32) | <i64>output.byteLength;
}

function log(level: i32, s: string): void {
  const b = String.UTF8.encode(s);
  host_log(level, changetype<usize>(b), b.byteLength);
}

// config reads a config value with the out-buffer protocol (ABI section 6).
function config(key: string, def: string): string {
  const k = String.UTF8.encode(key);
  let out = new ArrayBuffer(256);
  let n = host_config_get(changetype<usize>(k), k.byteLength, changetype<usize>(out), out.byteLength);
  if (n < 0) return def; // NOT_FOUND or other error
  if (n > out.byteLength) {
    out = new ArrayBuffer(n);
    n = host_take(changetype<usize>(out), n);
    if (n < 0) return def;
  }
  return String.UTF8.decodeUnsafe(changetype<usize>(out), <usize>n);
}

// messageText finds message.text in the envelope JSON (the first "text"
// key after "message"), decoding JSON string escapes.
function messageText(env: string): string {
  let at = env.indexOf('"message":');
  if (at < 0) return "";
  at = env.indexOf('"text":', at);
  if (at < 0) return "";
  at += 7;
  while (at < env.length && env.charCodeAt(at) == 0x20) at++;
  if (at >= env.length || env.charCodeAt(at) != 0x22) return "";
  at++;
  let out = "";
  while (at < env.length) {
    const c = env.charCodeAt(at);
    if (c == 0x22) break;
    if (c == 0x5c && at + 1 < env.length) {
      const e = env.charCodeAt(at + 1);
      at += 2;
      if (e == 0x6e) out += "\n";
      else if (e == 0x74) out += "\t";
      else if (e == 0x72) out += "\r";
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x75 && at + 4 <= env.length) {
        out += String.fromCharCode(<i32>parseInt(env.substring(at, at + 4), 16));
        at += 4;
      } else out += String.fromCharCode(e);
      continue;
    }
    out += String.fromCharCode(c);
    at++;
  }
  return out;
}

// quote encodes s as a JSON string.
function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20) {
      const h = c.toString(16);
      out += "\\u" + "0000".substring(h.length) + h;
    } else out += String.fromCharCode(c);
  }
  return out + '"';
}
