// Harbor's one-schedule editor (GC, scan all): the type and, for Custom, a six-field cron;
// and the "next run" line under it.
import { useState } from 'react';
import { when } from '../format';

const scheduleTypes = ['None', 'Hourly', 'Daily', 'Weekly', 'Custom'] as const;

export interface ScheduleState {
  type: string;
  cron: string;
  setType(t: string): void;
  setCron(c: string): void;
  /** What the API takes: the type, with its cron only when Custom. */
  value: { type: string; cron?: string };
}

export function useScheduleState(stored: { type: string; cron: string }): ScheduleState {
  const [type, setType] = useState<string>(stored.type);
  const [cron, setCron] = useState(stored.type === 'Custom' ? stored.cron : '0 0 3 * * *');
  return { type, cron, setType, setCron, value: type === 'Custom' ? { type, cron } : { type } };
}

export function ScheduleFields({ state }: { state: ScheduleState }) {
  return (
    <>
      <label>
        Schedule
        <select value={state.type} onChange={(e) => state.setType(e.target.value)}>
          {scheduleTypes.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      {state.type === 'Custom' && (
        <label>
          Cron (seconds first)
          <input value={state.cron} onChange={(e) => state.setCron(e.target.value)} />
        </label>
      )}
    </>
  );
}

export function NextRun({ at }: { at: string | null }) {
  return <span className="muted">Next run: {at ? when(at) : 'none scheduled'}</span>;
}
