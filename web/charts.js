/** Chart.js (the UMD build, `window.Chart`) with the dashboard's defaults; charts are destroyed on navigation. */

const live = new Set();

/** The palette, colour-blind friendly (Okabe–Ito). */
export const COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#999999'];

/** Status colours. */
export const STATUS_COLORS = { online: '#009e73', offline: '#d55e00', unchecked: '#999999' };

/** A chart in a sized container (`height` px, default from the CSS); `label` names it for assistive technology. */
export function chart(name, label, config, height) {
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  canvas.dataset.chart = name;
  const box = document.createElement('div');
  box.className = 'chart';
  if (height) box.style.height = `${height}px`;
  box.append(canvas);
  const Chart = window.Chart;
  if (!Chart) {
    box.textContent = 'Charts unavailable.';
    return box;
  }
  const text = getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#666';
  Chart.defaults.color = text;
  const instance = new Chart(canvas, {
    ...config,
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      ...config.options,
      plugins: { legend: { display: (config.data.datasets?.length ?? 0) > 1 }, ...config.options?.plugins },
    },
  });
  live.add(instance);
  return box;
}

/** Destroy every chart of the previous page. */
export function destroyCharts() {
  for (const c of live) c.destroy();
  live.clear();
}
