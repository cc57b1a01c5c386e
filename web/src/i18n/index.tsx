import { type ComponentChildren, createContext } from 'preact';
import { useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { type Messages, en } from './en';
import { es } from './es';

export type Lang = 'en' | 'es';
export type { Messages };

const DICTIONARIES: Record<Lang, Messages> = { en, es };
const STORAGE_KEY = 'butaca.lang';

function isLang(value: unknown): value is Lang {
  return value === 'en' || value === 'es';
}

/** The remembered choice, else the first of the browser's languages that Butaca speaks. */
function initialLang(): Lang {
  try {
    const saved = window.localStorage.getItem(STORAGE_KEY);
    if (isLang(saved)) return saved;
  } catch {
    // Storage can be disabled (privacy settings); the browser's languages still decide.
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const primary = tag.toLowerCase().split('-')[0];
    if (isLang(primary)) return primary;
  }
  return 'en';
}

export interface I18n {
  lang: Lang;
  t: Messages;
  setLang: (lang: Lang) => void;
  number: (n: number) => string;
  /** An average of ratings: one decimal, always ("4.0", "3.5"), the same precision everywhere. */
  average: (n: number) => string;
  /** A rating in half stars: "4", "3.5" (or "3,5"). */
  stars: (n: number) => string;
  date: (iso: string) => string;
  /** A calendar day (YYYY-MM-DD) as the reader writes it, without a time zone shifting it. */
  day: (ymd: string) => string;
  /** A month (YYYY-MM) with its year: "November 2026". */
  month: (ym: string) => string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ComponentChildren }) {
  const [lang, setLang] = useState<Lang>(initialLang);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const value = useMemo<I18n>(() => {
    const numbers = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
    const averages = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    const halves = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
    const dates = new Intl.DateTimeFormat(lang, { dateStyle: 'medium' });
    const days = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' });
    const months = new Intl.DateTimeFormat(lang, { month: 'long', year: 'numeric', timeZone: 'UTC' });
    // Only an explicit choice is remembered: until then the browser's languages keep deciding.
    const choose = (next: Lang) => {
      try {
        window.localStorage.setItem(STORAGE_KEY, next);
      } catch {
        // Not remembered across visits, but the switch still works for this one.
      }
      setLang(next);
    };
    return {
      lang,
      t: DICTIONARIES[lang],
      setLang: choose,
      number: (n) => numbers.format(n),
      average: (n) => averages.format(n),
      stars: (n) => halves.format(n),
      date: (iso) => dates.format(new Date(iso)),
      day: (ymd) => days.format(new Date(`${ymd}T00:00:00Z`)),
      month: (ym) => months.format(new Date(`${ym}-01T00:00:00Z`)),
    };
  }, [lang]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside I18nProvider');
  return i18n;
}
