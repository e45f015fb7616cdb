// Optional packages (tfjs-node, tfjs-node-gpu, webgpu) are imported only when a backend needs them.

/** The module, or undefined when the package is not installed; any other failure is thrown. */
export async function importOptional<T = unknown>(specifier: string): Promise<T | undefined> {
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}
