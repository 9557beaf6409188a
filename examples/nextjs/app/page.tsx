import Profile from "@/components/Profile";
import Billing from "@/components/Billing";

// The home page is static; who is signed in is fetched in the browser by useUser().
export default function Home() {
  return (
    <>
      <h1>Next.js + nextjs-auth0</h1>
      <Profile />
      <Billing />
    </>
  );
}
