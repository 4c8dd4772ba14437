/**
 * A time-series chart drawn by uPlot (canvas, no inline styles the CSP would refuse), with the
 * same numbers as a table under a disclosure for screen readers and keyboard users.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { Table } from "./table.js";

export interface Series {
  label: string;
  values: number[];
  color: string;
}

const HEIGHT = 180;

export function Chart(props: { id: string; title: string; times: string[]; series: Series[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const xs = props.times.map((at) => Date.parse(at) / 1000);
    const plot = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height: HEIGHT,
        series: [{}, ...props.series.map((series) => ({ label: series.label, stroke: series.color, width: 2, points: { show: false } }))],
        axes: [{}, { size: 40 }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      [xs, ...props.series.map((series) => series.values)],
      element,
    );
    // Follows the box's width: a phone turned sideways, a window resized.
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, element.clientWidth), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.times, props.series]);
  const totals = props.series.map((series) => `${series.label} ${series.values.reduce((a, b) => a + b, 0)}`).join(", ");
  return (
    <figure class="chart" id={props.id}>
      <figcaption>
        <h3>{props.title}</h3>
      </figcaption>
      <div ref={box} role="img" aria-label={`${props.title} over time; totals: ${totals}`} />
      <details>
        <summary>As a table</summary>
        <div class="scroll">
          <Table columns={["Time", ...props.series.map((series) => series.label)]}>
            {props.times.map((at, index) => (
              <tr key={at}>
                <td>{new Date(at).toLocaleString()}</td>
                {props.series.map((series) => (
                  <td key={series.label} data-series={series.label}>
                    {series.values[index]}
                  </td>
                ))}
              </tr>
            ))}
          </Table>
        </div>
      </details>
    </figure>
  );
}
