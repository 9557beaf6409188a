import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Port 5173 is where the development tenant (`portcullis dev`) registers its SPA, demo-spa.
export default defineConfig({
  plugins: [react()],
  server: { port: 5173, strictPort: true },
  preview: { port: 5173, strictPort: true },
});
