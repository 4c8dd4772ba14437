/** A data table: one header row of column names (each `scope="col"`), the body's rows as the view makes them. */
import type { ComponentChildren } from "preact";

export function Table({ id, columns, children }: { id?: string; columns: readonly string[]; children: ComponentChildren }) {
  return (
    <table id={id}>
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col" key={column}>
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
