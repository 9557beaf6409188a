import type { Metadata } from "next";
import type { ReactNode } from "react";

import "./globals.css";

export const metadata: Metadata = {
  title: "Next.js + nextjs-auth0 on Portcullis",
  description: "The serverless / server-rendered model from the guide, signed in with Portcullis",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header>
          <nav>
            <a href="/">Home</a>
            <a href="/account">Account</a>
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
