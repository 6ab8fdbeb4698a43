// A Chart.js line chart per metric, with a data table beside it for screen readers (a canvas has
// no accessible content of its own).
import { useEffect, useRef } from "react";
import { Chart, LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Title } from "chart.js";

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Title);

export interface Series {
  label: string;
  points: { x: number; y: number | undefined }[];
}

const COLORS = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#be123c", "#0e7490"];

export function LineChart({ title, series, yMax }: { title: string; series: Series[]; yMax?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<"line", { x: number; y: number | null }[]>>(null);

  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, {
      type: "line",
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { title: { display: true, text: title }, legend: { position: "bottom" } },
        scales: { x: { type: "linear", title: { display: true, text: "round" }, ticks: { precision: 0 } }, y: { beginAtZero: true } },
      },
    });
    return () => chart.current?.destroy();
  }, [title]);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.datasets = series.map((s, i) => ({
      label: s.label,
      data: s.points.map((p) => ({ x: p.x, y: p.y ?? null })),
      borderColor: COLORS[i % COLORS.length],
      backgroundColor: COLORS[i % COLORS.length],
      borderWidth: s.label === "global" ? 3 : 1.5,
      spanGaps: true,
    }));
    if (c.options.scales?.y) c.options.scales.y.max = yMax;
    c.update();
  }, [series, yMax]);

  const last = series[0]?.points.at(-1);
  return (
    <figure className="chart">
      <div className="chart-box"><canvas ref={canvas} role="img" aria-label={`${title}: ${series[0]?.points.length ?? 0} rounds, latest global ${last?.y?.toFixed(3) ?? "—"}`} /></div>
      <details>
        <summary>{title} as a table</summary>
        <table>
          <thead><tr><th scope="col">Round</th>{series.map((s) => <th key={s.label} scope="col">{s.label}</th>)}</tr></thead>
          <tbody>
            {(series[0]?.points ?? []).map((p, row) => (
              <tr key={p.x}><th scope="row">{p.x}</th>{series.map((s) => <td key={s.label}>{s.points[row]?.y?.toFixed(4) ?? "—"}</td>)}</tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
