export default function Page() {
  return <p>Coming next.</p>;
}
