import type { PropsWithChildren } from "@kitajs/html";
import type { Flash } from "@/lib/flash";
import { FlashMessage } from "../components/ui";
import { Document } from "./document";

/** Shell for signed-out pages: sign in, sign up, invitations, the try-it landing. */
export function PublicLayout({
  title,
  csrfToken,
  flash,
  children,
  wide,
}: PropsWithChildren<{ title: string; csrfToken: string; flash?: Flash; wide?: boolean }>) {
  return (
    <Document title={title} csrfToken={csrfToken}>
      <main class={wide ? "public public-wide" : "public"}>
        <a href="/" class="brand">
          LivChat
        </a>
        <FlashMessage flash={flash} />
        {children}
      </main>
    </Document>
  );
}
