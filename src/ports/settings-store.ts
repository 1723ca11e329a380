/** Small shared values every process of a deployment must agree on (e.g. the token signing secret). */
export interface SettingsStore {
  /** Returns the stored value, storing `initial` first if there was none (first writer wins). */
  getOrInit(key: string, initial: string): Promise<string>;
}
