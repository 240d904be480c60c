export type PdfAnalysis =
  | {
      ok: true;
      pageCount: number;
      pages: Array<{ width: number; height: number; rotation: number }>;
      formFields: number;
      signedFields: number;
    }
  | { ok: false; code: 'encrypted' | 'invalid' | 'too_many_pages' | 'too_complex'; detail?: string; pageCount?: number };

export function analysePdf(bytes: Uint8Array, opts: { maxPages: number; trialSave?: boolean }): Promise<PdfAnalysis>;
