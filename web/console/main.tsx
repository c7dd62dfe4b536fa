// The console app's entry point (a placeholder until its pages land).
import { render } from 'preact';
import '../shared/base.css';

function App() {
  return <main><h1>srhub console</h1></main>;
}

render(<App />, document.getElementById('app')!);
