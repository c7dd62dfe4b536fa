// A GPS position from navigator.geolocation: optional, asked only when the worker presses the button (the browser
// asks for permission then), and works offline (satellites, not the network).
import { useState } from 'preact/hooks';
import { formatNumber } from '../shared/i18n.js';
import { Button } from '../shared/ui.js';
import { t } from './i18n/index.js';

type Point = { latitude: number; longitude: number };
const round = (n: number) => Math.round(n * 1e6) / 1e6;

export function GeoPoint(props: { value: Point | undefined; onChange: (value: Point | undefined) => void; testId: string }) {
  const [state, setState] = useState<{ busy?: boolean; error?: string; accuracy?: number }>({});
  const capture = () => {
    if (!('geolocation' in navigator)) return setState({ error: t('gps.unavailable') });
    setState({ busy: true });
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setState({ accuracy: position.coords.accuracy });
        props.onChange({ latitude: round(position.coords.latitude), longitude: round(position.coords.longitude) });
      },
      (error) => setState({ error: t(error.code === error.PERMISSION_DENIED ? 'gps.denied' : error.code === error.TIMEOUT ? 'gps.timeout' : 'gps.unavailable') }),
      { enableHighAccuracy: true, timeout: 30_000, maximumAge: 60_000 },
    );
  };
  return (
    <div class="geopoint" data-testid={props.testId}>
      {props.value ? (
        <p class="geopoint-value" data-testid="gps-value">
          {formatNumber(props.value.latitude, { maximumFractionDigits: 6 })}, {formatNumber(props.value.longitude, { maximumFractionDigits: 6 })}
          {state.accuracy !== undefined && <> ({t('gps.accuracy', { metres: Math.round(state.accuracy) })})</>}
        </p>
      ) : (
        <p class="hint">{t('gps.none')}</p>
      )}
      {state.error && <p class="field-error" role="alert">{state.error}</p>}
      <div class="actions">
        <Button variant="secondary" onClick={capture} disabled={state.busy} data-testid="gps-capture">{state.busy ? t('gps.busy') : t('gps.capture')}</Button>
        {props.value && <Button variant="secondary" onClick={() => props.onChange(undefined)}>{t('form.clear')}</Button>}
      </div>
    </div>
  );
}
