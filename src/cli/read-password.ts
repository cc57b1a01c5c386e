import { createInterface } from 'node:readline';

/**
 * Reads a password from standard input: typed without echo on a terminal, or the first line of
 * whatever is piped in (`echo secret | npx butaca user create ana`).
 */
export async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let data = '';
    for await (const chunk of stdin) data += String(chunk);
    return data.split(/\r?\n/, 1)[0] ?? '';
  }
  process.stderr.write(prompt);
  const rl = createInterface({ input: stdin, output: process.stderr, terminal: true });
  // Swallow the echo of typed characters; the prompt is already written.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
