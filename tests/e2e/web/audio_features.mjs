// Run the generated Web audio preprocessing in node: prints the features of each WAV file.
// usage: node audio_features.mjs AUDIO_JS AUDIO_SPEC_JS WAV...   (the two modules as .mjs)
import fs from "node:fs";
import { pathToFileURL } from "node:url";

const [audioJs, specJs, ...wavs] = process.argv.slice(2);
const { audioFeatures, readWav } = await import(pathToFileURL(audioJs).href);
const { AUDIO } = await import(pathToFileURL(specJs).href);
const out = wavs.map((file) => {
  const bytes = fs.readFileSync(file);
  const decoded = readWav(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const { features } = audioFeatures(decoded, AUDIO);
  return { file, rate: decoded.rate, channels: decoded.channels.length, features: Array.from(features) };
});
process.stdout.write(JSON.stringify({ spec: AUDIO, out }));
