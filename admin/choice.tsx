/**
 * A labelled select of `[value, label]` options, with an empty first option when `empty` names it;
 * controlled when `value` is given.
 */
export function Choice({
  id,
  label,
  name,
  options,
  empty,
  required,
  value,
  onChange,
}: {
  id: string;
  label: string;
  name?: string;
  value?: string;
  options: readonly (readonly [value: string | number, label: string])[];
  empty?: string;
  required?: boolean;
  onChange?: (value: string) => void;
}) {
  return (
    <p class="field">
      <label for={id}>{label}</label>
      <select
        id={id}
        name={name}
        value={value}
        required={required}
        onChange={onChange && ((e) => onChange(e.currentTarget.value))}
      >
        {empty !== undefined && <option value="">{empty}</option>}
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </p>
  );
}
